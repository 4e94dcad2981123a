/** The type of the `studio` prop every screen receives: the page facade (worker API + version, cancel, client). */
import type { createStudioFacade } from '../../api/studio';

export type Studio = ReturnType<typeof createStudioFacade>;
