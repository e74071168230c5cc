export { hasDesk, pageKind } from './detect';
export type { PageKind } from './detect';
export { takeViewerToken } from './link';
export { ViewerApp } from './ViewerApp';
export { expiresIn, SCOPE_HINTS, SCOPE_WORDS, scopeWords } from './words';
