import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getDeskApi } from './bridge';
import { hasDesk, pageKind, takeViewerToken, ViewerApp } from './viewer';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// A viewer link's token leaves the address bar at once, before the page asks what it is.
const viewerToken = hasDesk() ? undefined : takeViewerToken();
// The trader's desk, or (served by the share server) a remote viewer's read-only page.
void pageKind().then((kind) => {
  if (kind === 'viewer') document.title = 'DualDesk — view only';
  createRoot(root).render(<StrictMode>{kind === 'viewer' ? <ViewerApp token={viewerToken} /> : <App desk={getDeskApi()} />}</StrictMode>);
});
