import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installResponseMasking } from './response.ts';
import { Pii } from './schema-mask.ts';

/** C4: the response hook masks what the route's schema marks personal, whatever the status. */

const Person = Type.Object({ name: Type.String(), phone: Pii('mobile') });
const app = Fastify({ logger: false });
installResponseMasking(app);
const person = { name: 'agent1', phone: '13812343836' };

beforeAll(async () => {
  app.get('/declared', { schema: { response: { 200: Person } } }, async () => person);
  app.get('/range', { schema: { response: { '2xx': Person } } }, async () => person);
  app.get('/fallback', { schema: { response: { default: Person } } }, async () => person);
  // A handler that answers a status its schema does not declare (the cast is the mistake simulated).
  app.get('/mismatch', { schema: { response: { 200: Person } } }, async (_req, reply) => reply.code(201 as 200).send(person));
  app.get('/listing', { schema: { response: { 200: Type.Object({ data: Type.Array(Person) }) } } }, async () => ({ data: [person, person] }));
  app.get('/unmarked', { schema: { response: { 200: Type.Object({ name: Type.String(), phone: Type.String() }) } } }, async () => person);
  await app.ready();
});
afterAll(() => app.close());

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

describe('C4 response masking', () => {
  it('C4: a personal field is masked by the schema of the reply’s status, status range or default', async () => {
    for (const url of ['/declared', '/range', '/fallback']) expect((await get(url)).body, url).toEqual({ name: 'agent1', phone: '138****3836' });
    expect((await get('/listing')).body.data).toEqual([
      { name: 'agent1', phone: '138****3836' },
      { name: 'agent1', phone: '138****3836' },
    ]);
  });

  it('C4: a reply with an undeclared status is still masked', async () => {
    const res = await get('/mismatch');
    expect(res.status).toBe(201);
    expect(res.body.phone).toBe('138****3836');
  });

  it('C4: only fields marked personal are touched', async () => {
    expect((await get('/unmarked')).body).toEqual(person);
  });
});
