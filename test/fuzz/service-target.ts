// The service function /api/profile calls, as a fuzz target. The modules are passed in, so the
// suite can use the sources and `npm run fuzz` the build in dist/.
import type { Outcome, RefusalInfo, Target } from './engine.js';

export interface ServiceModules {
  /** service/generate.js */
  parseGenerateRequest(input: Record<string, unknown>): unknown;
  generate(request: unknown, deps: { config: unknown; catalog: unknown }): { body: Buffer };
  config: unknown;
  catalog: unknown;
}

/** What the API does with a JSON body: the same parser, the same generate call, errors as its JSON. */
export function serviceTarget(modules: ServiceModules): Target {
  const run = (body: Record<string, unknown>): Outcome => {
    try {
      const request = modules.parseGenerateRequest({ language: 'en', ...body });
      return { ok: true, body: modules.generate(request, { config: modules.config, catalog: modules.catalog }).body };
    } catch (thrown) {
      const error = thrown as Partial<RefusalInfo> & { name?: string; stack?: string };
      if (error?.name !== 'MailsetupError' || typeof error.code !== 'string' || error.code === 'INTERNAL') {
        return { ok: false, status: 500, error: { code: 'INTERNAL', message: String(error?.stack ?? thrown).slice(0, 400) } };
      }
      return { ok: false, error: { code: error.code, field: error.field, rule: error.rule, message: error.message ?? '', details: error.details } };
    }
  };
  return (body) => Promise.resolve(run(body));
}
