/** The dependency rule, enforced in `npm test`: nothing points outward. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only src/domain: no npm packages, no node: built-ins, no other layer.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'application-is-inward',
      comment: 'src/application imports only the domain and itself (ports are its own), never adapters or interfaces.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { path: '^src/(infrastructure|interfaces)/|^src/(main|cli|composition-root)\\.ts$' },
    },
    {
      name: 'application-no-frameworks',
      comment: 'the application layer stays free of drivers and frameworks; adapters wrap them.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'infrastructure-not-interfaces',
      comment: 'adapters do not depend on delivery mechanisms.',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/interfaces/' },
    },
    {
      name: 'inversify-only-in-composition-root',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/composition-root\\.ts$' },
      to: { path: 'node_modules/inversify' },
    },
    {
      name: 'rxjs-only-in-messaging',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/infrastructure/messaging/' },
      to: { path: 'node_modules/rxjs' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
