import { parseConfig } from '../../../src/config/load-config';
import { OpsdeckConfig } from '../../../src/config/schema';
import { canaryCount, deployEnvironment, renderHealthUrl } from '../../../src/config/deploy';
import { ConfigError, ErrorCode } from '../../../src/errors';

const YAML = `
deploy:
  apps:
    shop:
      environments:
        production:
          targets:
            ec2: { tags: { app: shop, env: [production, prod] } }
          command: [ssh, '{host}', sudo, /opt/shop/deploy, '{ref:sh}']
          pre: [/opt/opsdeck/freeze, '{app}', '{env}', '{ref}']
          post: [/opt/opsdeck/thaw, '{app}']
          concurrency: 5
          batchPauseSeconds: 30
          failureThreshold: 2
          hostTimeoutSeconds: 900
          defaultRef: main
        staging:
          targets: { hosts: [stg-web01.internal, 10.0.8.12, 'fd00::12'] }
          shell: true
          command: 'cd /srv/shop && ./deploy --ref {ref} --host {host} 2>&1'
`;

/** The config error's text for a deploy environment given as YAML lines under `staging:`. */
function refusal(env: string): string {
  const text = `deploy:\n  apps:\n    shop:\n      environments:\n        staging:\n${env
    .trim()
    .split('\n')
    .map((line) => `          ${line}`)
    .join('\n')}\n`;
  try {
    parseConfig(text, 'opsdeck.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted:\n${text}`);
}

describe('the deploy config section', () => {
  it('is optional', () => {
    expect(OpsdeckConfig.parse({}).deploy).toBeUndefined();
  });

  it('accepts EC2 and static targets, argv and shell commands, with defaults filled in', () => {
    const deploy = parseConfig(YAML).deploy!;
    expect(deploy.history).toEqual({ table: 'deploy_history' });
    expect(deploy.outputDir).toBe('.local/deploy-output');
    const production = deployEnvironment(deploy, 'shop', 'production');
    expect(production).toEqual({
      targets: {
        ec2: { tags: { app: ['shop'], env: ['production', 'prod'] }, address: 'privateIp' },
      },
      shell: false,
      command: { shell: false, argv: ['ssh', '{host}', 'sudo', '/opt/shop/deploy', '{ref:sh}'] },
      pre: { shell: false, argv: ['/opt/opsdeck/freeze', '{app}', '{env}', '{ref}'] },
      post: { shell: false, argv: ['/opt/opsdeck/thaw', '{app}'] },
      concurrency: 5,
      batchPauseSeconds: 30,
      failureThreshold: 2,
      hostTimeoutSeconds: 900,
      defaultRef: 'main',
      requireSucceededIn: [],
      canaryPauseSeconds: 0,
      autoRollback: false,
    });
    const staging = deployEnvironment(deploy, 'shop', 'staging');
    expect(staging).toMatchObject({
      targets: { hosts: ['stg-web01.internal', '10.0.8.12', 'fd00::12'] },
      shell: true,
      command: { shell: true, script: 'cd /srv/shop && ./deploy --ref {ref} --host {host} 2>&1' },
      concurrency: 1,
      failureThreshold: 1,
      hostTimeoutSeconds: 600,
    });
    expect(staging).not.toHaveProperty('pre');
    expect(staging).not.toHaveProperty('batchPauseSeconds');
  });

  it('names unknown apps and environments with what is configured', () => {
    const deploy = parseConfig(YAML).deploy!;
    expect(() => deployEnvironment(deploy, 'shpo', 'production')).toThrow(
      expect.objectContaining({
        code: ErrorCode.DeployTargetUnknown,
        message: 'no app "shpo" in the deploy config (configured: shop)',
      }),
    );
    expect(() => deployEnvironment(deploy, 'shop', 'prod')).toThrow(
      'app shop has no environment "prod" (configured: production, staging)',
    );
    expect(() => deployEnvironment(deploy, 'shop', '__proto__')).toThrow(/no environment/);
    expect(() => deployEnvironment(undefined, 'shop', 'production')).toThrow(/configured: none/);
  });

  it('refuses a shell string unless shell: true, and a list with shell: true', () => {
    expect(refusal("targets: { hosts: [a] }\ncommand: 'deploy {host}'")).toContain(
      'deploy.apps.shop.environments.staging.command: must be a list of arguments (run without a shell); for a shell command line say shell: true',
    );
    expect(refusal('targets: { hosts: [a] }\nshell: true\ncommand: [deploy, "{host}"]')).toContain(
      'staging.command: with shell: true, write the command as one string',
    );
  });

  it('refuses unknown placeholders at load time, and {host} in pre/post', () => {
    expect(refusal('targets: { hosts: [a] }\ncommand: [deploy, "{hots}"]')).toContain(
      'staging.command: unknown placeholder {hots}',
    );
    expect(
      refusal('targets: { hosts: [a] }\ncommand: [deploy, "{host}"]\npost: [notify, "{host}"]'),
    ).toContain('staging.post: {host} has no value here');
    expect(refusal('targets: { hosts: [a] }\nshell: true\ncommand: "deploy \'{ref}\'"')).toContain(
      'staging.command: {ref} is inside single quotes',
    );
    expect(refusal('targets: { hosts: [a] }\ncommand: [ssh, "{host}", deploy, "{ref}"]')).toContain(
      'write {ref:sh}',
    );
  });

  it('refuses bad targets with a message saying what targets look like', () => {
    expect(refusal('command: [deploy]')).toContain('staging.targets: ');
    expect(refusal('targets: { hosts: [] }\ncommand: [deploy]')).toContain(
      'list at least one host',
    );
    expect(refusal('targets: { hosts: [a, a] }\ncommand: [deploy]')).toContain(
      'lists a host twice',
    );
    expect(refusal('targets: { hosts: ["-oProxyCommand=x"] }\ncommand: [deploy]')).toContain(
      'must be a host name or an IP address',
    );
    expect(refusal('targets: { ec2: { tags: {} } }\ncommand: [deploy]')).toContain(
      'name at least one tag',
    );
    expect(
      refusal('targets: { ec2: { tags: { a: b } }, hosts: [x] }\ncommand: [deploy]'),
    ).toContain(
      'targets must be one of { ec2: { tags: {...} } }, { hosts: [...] }, { codebuild: { project } } or { codepipeline: { pipeline, ref } }',
    );
    expect(refusal('targets: { hosts: [a] }')).toContain('staging.command: is required with hosts');
  });

  it('takes a CodeBuild project or a CodePipeline pipeline as the target, with nothing per host', () => {
    const config = parseConfig(
      `deploy:
  apps:
    shop:
      environments:
        build:
          targets: { codebuild: { project: shop-deploy, environmentVariables: { DEPLOY_ENV: '{env}' } } }
        release:
          targets: { codepipeline: { pipeline: shop-release, ref: { sourceAction: Source } } }
`,
      'opsdeck.yaml',
    );
    expect(deployEnvironment(config.deploy, 'shop', 'build').targets).toEqual({
      codebuild: {
        project: 'shop-deploy',
        environmentVariables: { DEPLOY_ENV: '{env}' },
        pollSeconds: 10,
      },
    });
    expect(deployEnvironment(config.deploy, 'shop', 'release').targets).toEqual({
      codepipeline: {
        pipeline: 'shop-release',
        ref: { sourceAction: 'Source', revisionType: 'COMMIT_ID' },
        variables: {},
        pollSeconds: 10,
      },
    });
    const pipeline = 'targets: { codebuild: { project: shop-deploy } }';
    for (const field of [
      'command: [deploy]',
      'pre: [x]',
      'canary: 1',
      'healthCheck: { url: "http://h/" }',
    ])
      expect(refusal(`${pipeline}\n${field}`)).toContain(
        'is for hosts; a codebuild or codepipeline target runs the pipeline only',
      );
    expect(refusal(`${pipeline}\nautoRollback: true`)).toContain(
      'staging.autoRollback: is for hosts; roll a pipeline back with /deploy rollback',
    );
    expect(
      refusal(
        "targets: { codebuild: { project: shop-deploy, environmentVariables: { A: '{host}' } } }",
      ),
    ).toContain('unknown placeholder {host} (known: {ref}, {app}, {env})');
    expect(refusal('targets: { codepipeline: { pipeline: shop-release, ref: {} } }')).toContain(
      '{ codepipeline: { pipeline, ref } }, got {"codepipeline":{"pipeline":"shop-release","ref":{}}}',
    );
  });

  it('refuses out-of-range numbers and unknown settings by path', () => {
    const base = 'targets: { hosts: [a] }\ncommand: [deploy]\n';
    expect(refusal(`${base}concurrency: 0`)).toContain('staging.concurrency: ');
    expect(refusal(`${base}failureThreshold: 1.5`)).toContain('staging.failureThreshold: ');
    expect(refusal(`${base}hostTimeoutSeconds: 0`)).toContain('staging.hostTimeoutSeconds: ');
    expect(refusal(`${base}batchPauseSeconds: -1`)).toContain('staging.batchPauseSeconds: ');
    expect(refusal(`${base}concurency: 2`)).toContain('staging.concurency: unknown setting');
    expect(refusal('targets: { hosts: [a] }\ncommand: []')).toContain('staging.command: ');
  });

  it('refuses bad app and environment names and an app without environments', () => {
    expect(() => parseConfig('deploy:\n  apps:\n    Shop!:\n      environments: {}\n')).toThrow(
      /deploy\.apps\.Shop!: must be 1-63 of a-z/,
    );
    expect(() => parseConfig('deploy:\n  apps:\n    shop:\n      environments: {}\n')).toThrow(
      'deploy.apps.shop.environments: configure at least one environment',
    );
  });

  it('checks that promotion gates name other environments of the same app', () => {
    const text = (gate: string) =>
      `deploy:\n  apps:\n    shop:\n      environments:\n        staging:\n          targets: { hosts: [a] }\n          command: [x]\n        production:\n          targets: { hosts: [b] }\n          command: [x]\n          requireSucceededIn: ${gate}\n`;
    const refused = (gate: string) => {
      try {
        parseConfig(text(gate), 'opsdeck.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`accepted: ${gate}`);
    };
    expect(refused('[qa]')).toContain(
      'requireSucceededIn.0: is not an environment of this app (configured: staging, production)',
    );
    expect(refused('[production]')).toContain('requireSucceededIn.0: names the environment itself');
    expect(refused('[staging, staging]')).toContain('lists an environment twice');
    const deploy = parseConfig(text('[staging]')).deploy!;
    expect(deployEnvironment(deploy, 'shop', 'production').requireSucceededIn).toEqual(['staging']);
    expect(deployEnvironment(deploy, 'shop', 'staging').requireSucceededIn).toEqual([]);
  });

  it('checks canaries and health checks when loaded', () => {
    expect(refusal("targets: { hosts: [a] }\ncommand: [x]\ncanary: '150%'")).toContain('canary');
    expect(
      refusal(
        "targets: { hosts: [a] }\ncommand: [x]\nhealthCheck: { command: [c], url: 'http://{host}/' }",
      ),
    ).toContain('give either command or url');
    expect(
      refusal("targets: { hosts: [a] }\ncommand: [x]\nhealthCheck: { url: 'http://{hots}/' }"),
    ).toContain('unknown placeholder {hots}');
    expect(
      refusal("targets: { hosts: [a] }\ncommand: [x]\nhealthCheck: { url: 'ftp://{host}/' }"),
    ).toContain('must be http or https');
    expect(
      refusal("targets: { hosts: [a] }\ncommand: [x]\nhealthCheck: { command: 'curl {host}' }"),
    ).toContain('must be a list of arguments');
    expect(
      refusal("targets: { hosts: [a] }\ncommand: [x]\nhealthCheck: { command: [c, '{hots}'] }"),
    ).toContain('healthCheck.command');
  });

  it('sizes the canary batch: a count or a percentage rounded up, never every host', () => {
    expect(canaryCount(undefined, 10)).toBe(0);
    expect(canaryCount(1, 10)).toBe(1);
    expect(canaryCount(3, 2)).toBe(1);
    expect(canaryCount('10%', 60)).toBe(6);
    expect(canaryCount('1%', 60)).toBe(1);
    expect(canaryCount('50%', 3)).toBe(2);
    expect(canaryCount('100%', 4)).toBe(3);
    expect(canaryCount(1, 1)).toBe(0);
    expect(
      renderHealthUrl('http://{host}:8080/health?ref={ref}', {
        host: '10.0.0.1',
        ref: 'a b&c',
        app: 'shop',
        env: 'prod',
      }),
    ).toBe('http://10.0.0.1:8080/health?ref=a%20b%26c');
  });

  it("checks refPattern when loaded, and the defaultRef against the environment's ref rule", () => {
    expect(refusal("targets: { hosts: [a] }\ncommand: [x, '{ref}']\nrefPattern: 'v(1'")).toMatch(
      /refPattern: is not a regular expression/,
    );
    expect(
      refusal("targets: { hosts: [a] }\ncommand: [x, '{ref}']\ndefaultRef: 'main..x'"),
    ).toContain("defaultRef: must not contain .. (git's rules for a ref name)");
    expect(
      refusal(
        "targets: { hosts: [a] }\ncommand: [x, '{ref}']\nrefPattern: 'v[0-9]+'\ndefaultRef: main",
      ),
    ).toContain("defaultRef: must match this environment's refPattern");
    const text = `deploy:\n  apps:\n    shop:\n      environments:\n        staging:\n          targets: { hosts: [a] }\n          command: [x, '{ref}']\n          refPattern: 'v[0-9]+'\n          defaultRef: v7\n`;
    const env = deployEnvironment(parseConfig(text).deploy, 'shop', 'staging');
    // Unanchored patterns match the whole ref.
    expect(env.refPattern!.test('v7')).toBe(true);
    expect(env.refPattern!.test('xv7')).toBe(false);
    expect(env.refPattern!.test('v7x')).toBe(false);
  });
});
