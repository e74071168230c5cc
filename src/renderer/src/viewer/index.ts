export { hasDesk, pageKind, takeViewerToken } from './detect';
export type { PageKind } from './detect';
export { ViewerApp } from './ViewerApp';
export { expiresIn, SCOPE_HINTS, SCOPE_WORDS, scopeWords } from './words';
