/**
 * What runbooks may use (`ctx.services`), built once per worker process. The engine knows none
 * of it: this interface is empty here and is filled in where the app is composed
 * (src/app/runbook-services.ts, by declaration merging), so the engine depends on no feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app
export interface RunbookServices {}
