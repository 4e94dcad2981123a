/** Dataset id generation: kind + time + random suffix, unique enough for local storage keys. */
export function makeDatasetId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${Math.floor(Math.random() * 0x100000000).toString(36)}`;
}
