import type { ConnectionState } from '../api/event-stream';

interface Props {
  signedIn: boolean;
  canSignOut: boolean;
  onSignOut(): void;
  connection?: ConnectionState | null;
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export function Header({ signedIn, canSignOut, onSignOut, connection }: Props) {
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
