// A tiny history.pushState router (three routes do not need a routing library; this
// keeps the bundle small). Real paths: /, /bugs, /bugs/<id>; the gateway serves
// index.html for any path without a file.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const NAVIGATE_EVENT = 'logcenter:navigate';

function subscribe(callback: () => void): () => void {
  window.addEventListener('popstate', callback);
  window.addEventListener(NAVIGATE_EVENT, callback);
  return () => {
    window.removeEventListener('popstate', callback);
    window.removeEventListener(NAVIGATE_EVENT, callback);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export interface Location {
  pathname: string;
  search: URLSearchParams;
}

/** The current path and query; re-renders on navigation and on back/forward. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot);
  const url = new URL(href, 'http://localhost');
  return { pathname: url.pathname, search: url.searchParams };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo?.(0, 0);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An <a> that navigates in-app on a plain left click and behaves normally otherwise. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey ||
      rest.target
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

export type Route =
  | { name: 'dashboard' }
  | { name: 'bugs' }
  | { name: 'bug'; id: string }
  | { name: 'settings' }
  | { name: 'projects' }
  | { name: 'alerts' }
  | { name: 'releases' }
  | { name: 'release'; projectId: string; version: string }
  | { name: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'dashboard' };
  if (path === '/bugs') return { name: 'bugs' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/projects') return { name: 'projects' };
  if (path === '/alerts') return { name: 'alerts' };
  if (path === '/releases') return { name: 'releases' };
  const release = /^\/releases\/([^/]+)\/([^/]+)$/.exec(path);
  if (release) {
    try {
      return { name: 'release', projectId: decodeURIComponent(release[1]), version: decodeURIComponent(release[2]) };
    } catch {
      return { name: 'not-found' };
    }
  }
  const m = /^\/bugs\/(\d+)$/.exec(path);
  if (m) return { name: 'bug', id: m[1] };
  return { name: 'not-found' };
}
