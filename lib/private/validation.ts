/**
 * Synth-time validation of construct props. Every error names the prop, says what is wrong and
 * what to change; values that are still tokens (known only at deploy time) are not checked.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { printable } from './control-characters';

/** Thrown for props that cannot produce a working deployment. */
export function invalidProp(prop: string, problem: string, fix: string): Error {
  return new Error(`RealtimeNotifications: invalid \`${prop}\`: ${problem}. ${fix}`);
}

export function checkInteger(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidProp(prop, `${value} is not a whole number from ${min} to ${max}`,
      `Set it to a whole number from ${min} to ${max}.`);
  }
}

export function checkPositive(prop: string, value: number | undefined, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw invalidProp(prop, `${value} is not a number above 0 and at most ${max}`,
      `Set it to a number above 0 and at most ${max}.`);
  }
}

export function checkDuration(
  prop: string, value: Duration | undefined, minSeconds: number, maxSeconds: number, why: string = '',
): void {
  if (value === undefined || Token.isUnresolved(value.toSeconds({ integral: false }))) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < minSeconds || seconds > maxSeconds) {
    throw invalidProp(prop, `${value.toHumanString()} is not a whole number of seconds from ${minSeconds} to ${maxSeconds}`,
      `Set it to a Duration from ${Duration.seconds(minSeconds).toHumanString()} to ${Duration.seconds(maxSeconds).toHumanString()}${why}.`);
  }
}

export function checkPattern(prop: string, value: string | undefined, pattern: RegExp, expectation: string): void {
  checkText(prop, value, (text) => pattern.test(text), expectation);
}

/** A literal string that `isValid` accepts; `expectation` says in words what that is. */
export function checkText(prop: string, value: string | undefined, isValid: (value: string) => boolean, expectation: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!isValid(value)) {
    throw invalidProp(prop, `${JSON.stringify(printable(value))} is not ${expectation}`, `Set it to ${expectation}.`);
  }
}

/** Whether a literal URL uses https (tokens pass: they are checked by the service at deploy time). */
export function checkHttpsUrl(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:') {
    throw invalidProp(prop, `${JSON.stringify(value)} is not an https:// URL`,
      'Token signing keys must be fetched over TLS: give the https:// URL.');
  }
}
