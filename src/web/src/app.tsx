import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConnectionState } from './api/event-stream';
import { AnnouncerProvider } from './components/announcer';
import { Header } from './components/header';
import { SignIn } from './components/sign-in';
import { useAuth } from './hooks/use-auth';
import { useRoute } from './lib/route';
import { HomePage } from './pages/home-page';
import { LivePage } from './pages/live-page';
import { SearchPage } from './pages/search-page';
import { TranscriptPage } from './pages/transcript-page';
import { WorkersPage } from './pages/workers-page';

export function App() {
  const auth = useAuth();
  const route = useRoute();
  const [connection, setConnection] = useState<ConnectionState | null>(null);
  const { state, api } = auth;
  useFocusOnNavigation(route.name === 'task' ? route.id : route.name);
  useFocusAfterSignIn(state.phase);

  return (
    <AnnouncerProvider>
      <Header
        signedIn={state.phase === 'ready'}
        canSignOut={state.phase === 'ready' && state.mode === 'token'}
        onSignOut={() => auth.signOut()}
        connection={connection}
        current={route.name}
      />
      <main id="main" tabIndex={-1}>
        {state.phase === 'checking' && <p aria-busy="true">Connecting to the server…</p>}
        {state.phase === 'unreachable' && (
          <section class="card" data-testid="unreachable">
            <p role="alert">{state.message}</p>
            <button type="button" class="button" onClick={auth.recheck}>
              Try again
            </button>
          </section>
        )}
        {state.phase === 'signed-out' && (
          <SignIn message={state.message} checkingSaved={state.checkingSaved} onSignIn={auth.signIn} />
        )}
        {api &&
          (route.name === 'task' ? (
            <TranscriptPage key={route.id} api={api} id={route.id} at={route.at} highlight={route.highlight} />
          ) : route.name === 'live' ? (
            <LivePage api={api} />
          ) : route.name === 'workers' ? (
            <WorkersPage api={api} />
          ) : route.name === 'search' ? (
            <SearchPage api={api} q={route.q} />
          ) : (
            <HomePage api={api} status={route.status} page={route.page} filters={route} onConnection={setConnection} />
          ))}
      </main>
    </AnnouncerProvider>
  );
}

/**
 * After an in-page navigation, focus goes to <main> so keyboard and screen-reader users start at the
 * new content instead of wherever the link was. The first render keeps the browser's default.
 */
function useFocusOnNavigation(view: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [view]);
}

/**
 * Signing in replaces the form (and the focused button) with the app; focus then goes to <main>
 * rather than falling back to <body>, where a keyboard user would have to start from the top.
 */
function useFocusAfterSignIn(phase: string): void {
  const before = useRef(phase);
  useEffect(() => {
    if (before.current === 'signed-out' && phase === 'ready') document.getElementById('main')?.focus();
    before.current = phase;
  }, [phase]);
}
