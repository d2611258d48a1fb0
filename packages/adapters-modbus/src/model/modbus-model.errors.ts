import { ConfigError } from '@iotgw/domain';

/** One thing wrong in a model: where (file, point, field) and what. */
export interface ModelProblem {
  /** The point's name (or `points[i]` when it has no usable name); undefined for model-level fields. */
  readonly point: string | undefined;
  /** Dotted path of the field inside the point (or the model), e.g. `scale`, `defaults.wordOrder`. */
  readonly field: string;
  readonly message: string;
}

function describe(problem: ModelProblem): string {
  const where = problem.point === undefined ? `field "${problem.field}"` : `point "${problem.point}", field "${problem.field}"`;
  return `${where}: ${problem.message}`;
}

/**
 * A model file (or inline model) is wrong. The message names the file, then every problem with its
 * point and field, so the user fixes the file in one go; `problems` holds the same as data.
 */
export class ModbusModelError extends ConfigError {
  readonly file: string;
  readonly problems: readonly ModelProblem[];

  constructor(file: string, problems: readonly ModelProblem[]) {
    const [first] = problems;
    const text =
      problems.length === 1 && first
        ? describe(first)
        : `${problems.length} problems:\n${problems.map((p) => `  ${describe(p)}`).join('\n')}`;
    super(`model ${file}`, text, { details: { file } });
    this.file = file;
    this.problems = problems;
  }

  /** The first problem's point, for callers that only need one. */
  get point(): string | undefined {
    return this.problems[0]?.point;
  }

  get fieldName(): string | undefined {
    return this.problems[0]?.field;
  }
}
