export const STUDIO_VERSION = '0.1.0';
/** Bumped when stored artifacts or bundles change shape incompatibly. */
export const FORMAT_VERSION = 1;
