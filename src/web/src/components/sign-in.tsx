import { useState } from 'preact/hooks';

interface Props {
  message: string | null;
  /** A token from an earlier visit is being tried; the form can be used meanwhile. */
  checkingSaved: boolean;
  onSignIn(token: string): Promise<string | null>;
}

/** Token sign-in. The token is what `earshot users add NAME` printed; it stays in this browser only. */
export function SignIn({ message, checkingSaved, onSignIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const problem = await onSignIn(token);
    setBusy(false);
    setError(problem);
  };

  const shown = error ?? message;
  return (
    <section class="card sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>
        Paste your API token. An administrator creates one with <code>earshot users add NAME</code>. It is kept in this
        browser until you sign out.
      </p>
      <form onSubmit={submit} data-testid="sign-in-form">
        <label for="token-input">API token</label>
        <input
          id="token-input"
          type="password"
          autoComplete="current-password"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={shown ? 'sign-in-error' : undefined}
          data-testid="token-input"
          required
        />
        {checkingSaved && !shown && (
          <p class="hint" aria-live="polite" data-testid="sign-in-checking">
            Checking the token saved in this browser…
          </p>
        )}
        {shown && (
          <p id="sign-in-error" class="error-text" role="alert" data-testid="sign-in-error">
            {shown}
          </p>
        )}
        <button type="submit" class="button button--primary" disabled={busy} data-testid="sign-in-button">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
