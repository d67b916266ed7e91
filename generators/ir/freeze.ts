// The built IR is frozen all the way down, so that an emitter writing to it throws instead of changing
// what the emitters after it read.

/** Freezes every object and array reachable from `value` (plain data: no class instances) and returns it. */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  for (const child of Object.values(value)) deepFreeze(child, seen);
  Object.freeze(value);
  return value;
}
