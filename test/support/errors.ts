// What a call throws, for tests that check the error's code, field and rule.
import { expect } from '@jest/globals';
import { MailsetupError } from '../../src/errors.js';

/** The MailsetupError `action` throws; fails the test when it returns or throws anything else. */
export function thrown(action: () => unknown): MailsetupError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MailsetupError);
    return error as MailsetupError;
  }
  throw new Error('expected an error');
}
