// Small pure formatters the lobby's views share.

/** Up to two letters or digits of a name, for an avatar. */
export function initials(name: string): string {
  return name.replace(/[^a-z0-9]/gi, '').slice(0, 2) || '?';
}

/** A stable colour per name, dark enough for white initials (contrast ≥ 4.5:1). */
export function avatarColor(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 38%)`;
}

/** m:ss */
export function formatWait(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
