import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { clearToken, loadToken, saveToken } from '../lib/auth-store';

export type AuthState =
  | { phase: 'checking' }
  | { phase: 'unreachable'; message: string }
  /** `checkingSaved`: a token kept from an earlier visit is being tried; the form stays usable meanwhile. */
  | { phase: 'signed-out'; message: string | null; checkingSaved: boolean }
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
 * Works out how to talk to the server. /health says whether tokens are needed (asking it never
 * answers 401, so a page load logs no failed request); in token mode a saved token is tried while
 * the sign-in form is already shown, so a password manager or a quick person need not wait.
 *
 * Every sign-in, sign-out and re-check starts a new generation: an answer that belongs to an older
 * one (the start-up check of a stale token, a request of the previous session answering 401) is
 * dropped instead of undoing what the person did since.
 */
export function useAuth(): Auth {
  const [state, setState] = useState<AuthState>({ phase: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const generation = useRef(0);

  /** Applies `next` only if nothing newer happened since `gen` began. */
  const settle = useCallback((gen: number, next: AuthState) => {
    if (generation.current === gen) setState(next);
  }, []);

  const signOut = useCallback((message?: string) => {
    generation.current += 1;
    clearToken();
    setState({ phase: 'signed-out', message: message ?? null, checkingSaved: false });
  }, []);

  useEffect(() => {
    const gen = ++generation.current;
    void (async () => {
      const mode = await authMode();
      if (typeof mode !== 'string') return settle(gen, mode);
      if (mode === 'none') return settle(gen, { phase: 'ready', token: null, mode: 'open' });
      const saved = loadToken();
      settle(gen, { phase: 'signed-out', message: null, checkingSaved: saved !== null });
      if (saved === null) return;
      const result = await trySaved(saved);
      if (generation.current !== gen) return;
      if (result.phase === 'signed-out') clearToken();
      setState(result);
    })();
  }, [attempt, settle]);

  const signIn = useCallback(async (raw: string): Promise<string | null> => {
    const token = raw.trim();
    if (!token) return 'Enter your API token.';
    const gen = ++generation.current;
    try {
      await new Api(token).listTasks({ limit: 1, offset: 0 });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return 'That token was not accepted. Check it and try again.';
      return describeError(err);
    }
    if (generation.current !== gen) return null; // signed in or out again meanwhile
    saveToken(token);
    setState({ phase: 'ready', token, mode: 'token' });
    return null;
  }, []);

  const token = state.phase === 'ready' ? state.token : null;
  const ready = state.phase === 'ready';
  const api = useMemo(() => {
    if (!ready) return null;
    const gen = generation.current;
    // Only a 401 for this session signs out; one for an earlier session's request means nothing now.
    return new Api(token, () => {
      if (generation.current === gen) signOut('The server no longer accepts your token. Sign in again.');
    });
  }, [ready, token, signOut]);
  const recheck = useCallback(() => {
    setState({ phase: 'checking' });
    setAttempt((n) => n + 1);
  }, []);
  return { state, api, signIn, signOut, recheck };
}

/** The server's auth mode from /health, or the state to show when it cannot be reached. */
async function authMode(): Promise<'token' | 'none' | AuthState> {
  try {
    const res = await fetch('/health', { headers: { Accept: 'application/json' } });
    if (!res.ok) return { phase: 'unreachable', message: `The server answered ${res.status}. Try again shortly.` };
    const body = (await res.json()) as { auth?: unknown };
    return body.auth === 'none' ? 'none' : 'token';
  } catch {
    return { phase: 'unreachable', message: 'Could not reach the server. Check your connection and try again.' };
  }
}

async function trySaved(saved: string): Promise<AuthState> {
  try {
    await new Api(saved).listTasks({ limit: 1, offset: 0 });
    return { phase: 'ready', token: saved, mode: 'token' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      return {
        phase: 'signed-out',
        message: 'Your saved token is no longer accepted. Sign in again.',
        checkingSaved: false,
      };
    }
    return { phase: 'unreachable', message: describeError(err) };
  }
}
