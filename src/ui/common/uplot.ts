/** uPlot charts that follow their container's width (shared by the line and scatter charts). */
import uPlot from 'uplot';

export function responsivePlot(el: HTMLElement, opts: Omit<uPlot.Options, 'width'>, data: uPlot.AlignedData): { plot: uPlot; destroy: () => void } {
  const width = () => Math.max(200, el.clientWidth);
  const plot = new uPlot({ ...opts, width: width() }, data, el);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height }));
  ro.observe(el);
  return { plot, destroy: () => { ro.disconnect(); plot.destroy(); } };
}
