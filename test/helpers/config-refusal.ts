import { ConfigError } from '../../src/errors';
import { parseConfig } from '../../src/config/load-config';

/** The message a config is refused with (as a ConfigError); fails the test if it is accepted. */
export function configRefusal(yaml: string): string {
  try {
    parseConfig(yaml, 'opsdeck.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}
