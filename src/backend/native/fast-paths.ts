// The native accelerator's faster routes and the CTC_FAST_PATHS setting that turns them on or off.

import { UserError } from '../../errors.js';

/**
 * The addon's faster routes: a stride-1 convolution's input gradient as a forward convolution,
 * ResNet's fused BN + ReLU layers, and Winograd's algorithm for 3x3 stride-1 convolutions of 32
 * channels or more (conv.cc, winogradFits).
 */
export const FAST_PATHS = ['conv-input-grad', 'bn-relu', 'winograd'] as const;
export type FastPath = (typeof FAST_PATHS)[number];

/**
 * CTC_FAST_PATHS read: unset, '' or 1 keeps every route on, 0 turns all off, a comma-separated
 * list keeps those named (`listed`; `unknown` is its first name that is no route).
 */
function fastPathSetting(): { on: readonly FastPath[]; listed: boolean; unknown: string | undefined } {
  const setting = process.env.CTC_FAST_PATHS;
  if (setting === undefined || setting === '' || setting === '1')
    return { on: FAST_PATHS, listed: false, unknown: undefined };
  if (setting === '0') return { on: [], listed: false, unknown: undefined };
  const names = setting.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !(FAST_PATHS as readonly string[]).includes(name));
  return { on: FAST_PATHS.filter((p) => names.includes(p)), listed: true, unknown };
}

/** Routes turned off for the moment by withoutFastPath, whatever CTC_FAST_PATHS says. */
const suspended = new Set<FastPath>();

/**
 * Whether one of the addon's faster routes is on (fastPathSetting). CTC_FAST_PATHS=0 is for an
 * A/B benchmark, or to rule the routes out; results agree either way within float rounding
 * (test/backend/onednn, test/models/fused-layers).
 */
export function nativeFastPath(path: FastPath): boolean {
  return !suspended.has(path) && fastPathSetting().on.includes(path);
}

/** fn's result with one route off while it runs (ctc bench's peak is the direct convolution's rate, not Winograd's). */
export async function withoutFastPath<T>(path: FastPath, fn: () => Promise<T>): Promise<T> {
  const wasOff = suspended.has(path);
  suspended.add(path);
  try {
    return await fn();
  } finally {
    if (!wasOff) suspended.delete(path);
  }
}

/**
 * CTC_FAST_PATHS checked when the backend starts: a UserError naming an unknown route (a typo
 * would otherwise turn every route off silently), else what the backend's description adds when
 * some are off ('' with all on).
 */
export function fastPathsNote(): string {
  const { on, listed, unknown } = fastPathSetting();
  if (unknown !== undefined) {
    throw new UserError(
      `CTC_FAST_PATHS: unknown route '${unknown}'; known: ${FAST_PATHS.join(', ')} (a comma-separated list keeps those on; 0 turns all off)`,
    );
  }
  if (!listed) return on.length > 0 ? '' : '; fast paths off (CTC_FAST_PATHS=0)';
  return `; fast paths: ${on.join(', ') || 'none'} (CTC_FAST_PATHS)`;
}
