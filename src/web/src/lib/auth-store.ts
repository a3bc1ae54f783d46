/**
 * The API token lives in localStorage so a reload keeps you signed in; signing out removes it. It is
 * the same token the CLI and curl use, so the browser holds nothing a user could not already see.
 */
const KEY = 'earshot.token';

export function loadToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Storage disabled (private mode): the session still works until the tab closes.
  }
}

export function clearToken(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
