import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { clearToken, loadToken, saveToken } from '../lib/auth-store';

export type AuthState =
  | { phase: 'checking' }
  | { phase: 'unreachable'; message: string }
  | { phase: 'signed-out'; message: string | null }
  /** `open`: the server runs with EARSHOT_AUTH=none, so there is nothing to sign in or out of. */
  | { phase: 'ready'; token: string | null; mode: 'token' | 'open' };

export interface Auth {
  state: AuthState;
  api: Api | null;
  signIn(token: string): Promise<string | null>;
  signOut(message?: string): void;
  recheck(): void;
}

/**
 * Works out how to talk to the server. A token-less GET /v1/tasks that succeeds means single-user
 * mode; otherwise a saved token is tried, and failing that the sign-in form is shown.
 */
export function useAuth(): Auth {
  const [state, setState] = useState<AuthState>({ phase: 'checking' });
  const [attempt, setAttempt] = useState(0);

  const signOut = useCallback((message?: string) => {
    clearToken();
    setState({ phase: 'signed-out', message: message ?? null });
  }, []);

  useEffect(() => {
    let stale = false;
    void (async () => {
      const result = await detect();
      if (!stale) setState(result);
    })();
    return () => {
      stale = true;
    };
  }, [attempt]);

  const signIn = useCallback(async (raw: string): Promise<string | null> => {
    const token = raw.trim();
    if (!token) return 'Enter your API token.';
    try {
      await new Api(token).listTasks({ limit: 1, offset: 0 });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return 'That token was not accepted. Check it and try again.';
      return describeError(err);
    }
    saveToken(token);
    setState({ phase: 'ready', token, mode: 'token' });
    return null;
  }, []);

  const token = state.phase === 'ready' ? state.token : null;
  const ready = state.phase === 'ready';
  const api = useMemo(
    () => (ready ? new Api(token, () => signOut('The server no longer accepts your token. Sign in again.')) : null),
    [ready, token, signOut],
  );
  const recheck = useCallback(() => {
    setState({ phase: 'checking' });
    setAttempt((n) => n + 1);
  }, []);
  return { state, api, signIn, signOut, recheck };
}

async function detect(): Promise<AuthState> {
  try {
    await new Api(null).listTasks({ limit: 1, offset: 0 });
    return { phase: 'ready', token: null, mode: 'open' };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) return { phase: 'unreachable', message: describeError(err) };
  }
  const saved = loadToken();
  if (!saved) return { phase: 'signed-out', message: null };
  try {
    await new Api(saved).listTasks({ limit: 1, offset: 0 });
    return { phase: 'ready', token: saved, mode: 'token' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      clearToken();
      return { phase: 'signed-out', message: 'Your saved token is no longer accepted. Sign in again.' };
    }
    return { phase: 'unreachable', message: describeError(err) };
  }
}
