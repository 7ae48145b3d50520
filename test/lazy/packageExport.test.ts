// The application library is reachable as the package export `tmig/lazy`.
import { describe, expect, it } from 'vitest';

describe('tmig/lazy export', () => {
  it('resolves to the lazy library and exposes createLazyStore', async () => {
    expect(require.resolve('tmig/lazy')).toMatch(/src[\\/]lazy[\\/]index\.ts$/);
    const mod = await import('tmig/lazy');
    expect(typeof mod.createLazyStore).toBe('function');
    expect(typeof mod.createMysqlPool).toBe('function');
    expect(mod.LazyStage.Cleanup).toBe(5);
  });
});
