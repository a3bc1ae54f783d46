import type { Api } from './client';
import type { ArtifactKind, OutputFormat } from './types';

/** GET /v1/capabilities: what this deployment can do, so the UI offers only that. */
export interface Capabilities {
  engine: string;
  /** Codes the engine recognises; null when it takes any code. */
  languages: string[] | null;
  default_language: string;
  formats: OutputFormat[];
  max_upload_bytes: number;
  max_chunk_seconds: { default: number; min: number; max: number };
  /** What the configured LLM server can make; empty (or absent, on older servers) without one. */
  postprocessing?: ArtifactKind[];
}

export function fetchCapabilities(api: Api): Promise<Capabilities> {
  return api.json<Capabilities>('/v1/capabilities');
}

/** The API's language pattern, checked here so a typo gets a sentence instead of a schema error. */
const LANGUAGE_CODE = /^(auto|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)$/;

export function isLanguageCode(value: string): boolean {
  return LANGUAGE_CODE.test(value);
}

/** "en" → "English", falling back to the code where the browser has no name for it. */
export function languageName(code: string): string {
  if (code === 'auto') return 'Detect automatically';
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}
