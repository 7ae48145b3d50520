import { toActivityFailure } from '../contract/failures';

/** Runs an activity body, turning PermanentError into a non-retryable failure (transient errors pass through). */
export async function runActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
