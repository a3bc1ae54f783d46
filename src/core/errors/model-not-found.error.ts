import { EarshotError } from './earshot-error.js';

/** A model id this deployment does not serve (OpenAI-compatible routes; `model_not_found` is OpenAI's code). */
export class ModelNotFoundError extends EarshotError {
  readonly model: string;
  constructor(model: string) {
    super('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
      status: 404,
    });
    this.model = model;
  }
}
