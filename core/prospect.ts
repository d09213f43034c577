/**
 * A free player's prospect: how much longer it must wait before its own window covers the
 * tightest room left around it, once some players (a room about to form) are gone. Forming
 * a room changes who its neighbours' next partners are; this is the measure the tick uses to
 * avoid the one harm it can see coming, a player stranded far from everyone left.
 *
 * The tightest room around s is the narrowest span of k consecutive free players containing
 * s (rating order), skipping the players marked as leaving. Only s's own window is weighed,
 * not its partners': it is the player whose wait the choice decides. O(k) per call.
 */
import type { ModeRule } from './types.js';

export class Prospect {
  private readonly k: number;
  private readonly rule: ModeRule;
  // Ratings of the nearest free players on each side, nearest first.
  private readonly below: Float64Array;
  private readonly above: Float64Array;

  constructor(k: number, rule: ModeRule) {
    this.k = k;
    this.rule = rule;
    this.below = new Float64Array(Math.max(0, k - 1));
    this.above = new Float64Array(Math.max(0, k - 1));
  }

  /**
   * Milliseconds more that position `s` must wait before its window covers its tightest room
   * (0 when it already does; Infinity when there is no such room or the window can never
   * reach it). Positions with `leaving[x]` set count as gone; `prev` / `next` link the free
   * positions, -1 and n ending the list.
   */
  extraWaitMs(s: number, rating: Float64Array, window: Float64Array, prev: Int32Array, next: Int32Array, n: number, leaving: Uint8Array): number {
    const need = this.k - 1;
    const { below, above } = this;
    let nb = 0;
    for (let x = prev[s]!; x >= 0 && nb < need; x = prev[x]!) if (!leaving[x]) below[nb++] = rating[x]!;
    let na = 0;
    for (let x = next[s]!; x < n && na < need; x = next[x]!) if (!leaving[x]) above[na++] = rating[x]!;
    const ra = rating[s]!;
    let span = Infinity;
    // i players below s and need - i above.
    for (let i = Math.max(0, need - na); i <= Math.min(need, nb); i++) {
      const low = i > 0 ? below[i - 1]! : ra;
      const high = need - i > 0 ? above[need - i - 1]! : ra;
      span = Math.min(span, high - low);
    }
    const { perSecond, max } = this.rule.window;
    if (span <= window[s]!) return 0;
    if (span === Infinity || span > max || perSecond <= 0) return Infinity;
    return ((span - window[s]!) / perSecond) * 1000;
  }
}
