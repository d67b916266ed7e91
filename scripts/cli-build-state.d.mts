/** Why dist/ under `root` (a file: URL ending in /) cannot be used, or undefined if it can. */
export function distStaleness(root: URL): string | undefined;
