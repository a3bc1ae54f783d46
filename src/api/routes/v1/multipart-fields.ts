import type { Multipart, MultipartFields } from '@fastify/multipart';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ARTIFACT_KINDS } from '../../../core/artifact.js';
import { InvalidRequestError } from '../../../core/errors/index.js';
import type { TaskOptionsInput } from '../../../services/task.service.js';
import { TaskOptionsInputSchema } from '../../schemas/task.schema.js';

const check = TypeCompiler.Compile(TaskOptionsInputSchema);
const NUMERIC = new Set(['priority', 'max_chunk_seconds']);
/** The post-processing options: one yes/no field per artifact kind. */
const BOOLEAN = new Set<string>(ARTIFACT_KINDS);
const ALLOWED = new Set(['language', 'formats', 'priority', 'max_chunk_seconds', 'callback_url', 'title', ...BOOLEAN]);
const BOOLEAN_VALUES: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };

/**
 * Task options sent as multipart text fields (they must come before the file part; later ones are
 * never seen because the file is streamed first). Converted to the JSON shape and validated with the
 * same schema as a JSON body, so both routes accept exactly the same options.
 */
export function optionsFromFields(fields: MultipartFields, fileField: string): TaskOptionsInput {
  const raw: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(fields)) {
    if (name === fileField || entry === undefined) continue;
    if (Array.isArray(entry)) throw new InvalidRequestError(`field ${name} given more than once`);
    const part = entry as Multipart;
    if (part.type !== 'field') throw new InvalidRequestError(`only one file part is accepted (got ${name})`);
    if (!ALLOWED.has(name)) throw new InvalidRequestError(`unknown field ${name}`);
    if (part.valueTruncated) throw new InvalidRequestError(`field ${name} is too long`);
    const value = String(part.value).trim();
    if (name === 'formats') {
      raw.formats = value
        .split(',')
        .map((f) => f.trim().toLowerCase())
        .filter((f) => f !== '');
    } else if (BOOLEAN.has(name)) {
      const flag = BOOLEAN_VALUES[value.toLowerCase()];
      if (flag === undefined) throw new InvalidRequestError(`${name}: must be true or false`);
      raw[name] = flag;
    } else if (NUMERIC.has(name)) {
      raw[name] = value === '' ? Number.NaN : Number(value);
    } else {
      raw[name] = value;
    }
  }
  if (!check.Check(raw)) {
    const first = check.Errors(raw).First();
    const where = first?.path.replace(/^\//, '').split('/')[0] ?? 'fields';
    throw new InvalidRequestError(`${where}: ${first?.message ?? 'invalid value'}`);
  }
  return raw as TaskOptionsInput;
}
