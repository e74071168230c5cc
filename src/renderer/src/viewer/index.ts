export { hasDesk, pageKind } from './detect';
export type { PageKind } from './detect';
export { takeViewerToken } from './link';
export { ViewerApp } from './ViewerApp';
