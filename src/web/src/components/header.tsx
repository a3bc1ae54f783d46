import type { ConnectionState } from '../api/event-stream';
import { LIVE_HREF, type Route, WORKERS_HREF } from '../lib/route';

interface Props {
  signedIn: boolean;
  canSignOut: boolean;
  onSignOut(): void;
  connection?: ConnectionState | null;
  /** The page shown, so its nav link is marked current. */
  current?: Route['name'];
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export function Header({ signedIn, canSignOut, onSignOut, connection, current }: Props) {
  return (
    <header class="site-header">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <a class="brand" href="#/" data-testid="home-link">
        <span aria-hidden="true" class="brand__mark">
          ◉
        </span>{' '}
        Earshot
      </a>
      {signedIn && (
        <nav class="site-nav" aria-label="Main">
          <a
            href="#/"
            class="site-nav__link"
            aria-current={current === 'home' ? 'page' : undefined}
            data-testid="nav-tasks"
          >
            Tasks
          </a>
          <a
            href={LIVE_HREF}
            class="site-nav__link"
            aria-current={current === 'live' ? 'page' : undefined}
            data-testid="nav-live"
          >
            Live
          </a>
          <a
            href={WORKERS_HREF}
            class="site-nav__link"
            aria-current={current === 'workers' ? 'page' : undefined}
            data-testid="nav-workers"
          >
            Workers
          </a>
        </nav>
      )}
      <div class="site-header__end">
        {connection && (
          <span class={`connection connection--${connection}`} data-testid="connection-state">
            {CONNECTION_TEXT[connection]}
          </span>
        )}
        {signedIn && canSignOut && (
          <button type="button" class="button button--quiet" onClick={onSignOut} data-testid="sign-out-button">
            Sign out
          </button>
        )}
      </div>
    </header>
  );
}
