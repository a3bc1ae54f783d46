import { ModelNotFoundError } from '../../../../core/errors/index.js';

/**
 * OpenAI transcription model names that tools hard-code. Each is accepted as another name for this
 * deployment's engine, so such a tool works unchanged against Earshot. (`gpt-4o-transcribe-diarize`
 * is left out: Earshot does not diarise, and pretending to would mislead.)
 */
export const OPENAI_MODEL_ALIASES: readonly string[] = [
  'whisper-1',
  'gpt-4o-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
];

/** OpenAI's model object. */
export interface ModelObject {
  id: string;
  object: 'model';
  /** Unix seconds: when this server started serving the model (OpenAI: when the model was created). */
  created: number;
  owned_by: string;
}

const OWNER = 'earshot';

/**
 * The models the OpenAI-compatible routes serve: one per configured engine (named as the engine,
 * the same name the realtime API reports), plus the OpenAI aliases, which `resolve` and `retrieve`
 * accept but the list does not show (it lists what the deployment really runs).
 */
export class ModelCatalog {
  private readonly served: ModelObject[];

  constructor(engines: readonly string[], created: number) {
    this.served = engines.map((id) => ({ id, object: 'model', created, owned_by: OWNER }));
  }

  list(): ModelObject[] {
    return this.served.map((m) => ({ ...m }));
  }

  /** The model object for `id` (a served id or an alias, under the name asked for); throws ModelNotFoundError. */
  retrieve(id: string): ModelObject {
    const served = this.served.find((m) => m.id === id);
    if (served) return { ...served };
    const engine = this.served[0];
    if (engine && OPENAI_MODEL_ALIASES.includes(id)) return { ...engine, id };
    throw new ModelNotFoundError(id);
  }
}
