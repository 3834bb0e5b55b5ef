/**
 * The environment for a child process of the project, carrying the mutant StrykerJS has switched
 * on in this process (`npm run mutation`): its instrumented code reads `__STRYKER_ACTIVE_MUTANT__`
 * when its global is unset, so the child runs the same mutant. Outside Stryker it is `env` as is.
 */
export function withActiveMutant(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const active = (globalThis as { __stryker__?: { activeMutant?: unknown } }).__stryker__?.activeMutant;
    return active === undefined ? env : { ...env, __STRYKER_ACTIVE_MUTANT__: String(active) };
}
