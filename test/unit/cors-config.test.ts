import { ConfigError, loadConfig } from '../../src/config/config';

const base = { PIM_PROJECT_ROOT: '/opt/pim' };

describe('CORS_ORIGINS', () => {
  it('allows no cross-origin browser calls by default', () => {
    expect(loadConfig(base).corsOrigins).toEqual([]);
  });

  it('takes a comma list of origins, or * for any', () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: 'https://pim.example.com, http://localhost:3000' }).corsOrigins)
      .toEqual(['https://pim.example.com', 'http://localhost:3000']);
    expect(loadConfig({ ...base, CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it.each([
    ['https://pim.example.com/', /not an origin.*no path or trailing slash/],
    ['https://pim.example.com/graphql', /not an origin/],
    ['pim.example.com', /not an origin: expected scheme:\/\/host/],
    ['ftp://pim.example.com', /not an origin/],
    ['https://a.example.com,*', /"\*" is not an origin/],
  ])('rejects %s naming the variable', (value, reason) => {
    expect(() => loadConfig({ ...base, CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: value })).toThrow(/^configuration: CORS_ORIGINS: /);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: value })).toThrow(reason);
  });
});
