import { describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setAndRemove } from '../../shared/data/update-expression.js';
import { freshAppTable } from '../support/dynamodb.js';

describe('an update that sets and removes attributes', () => {
  it('names every attribute and value by a placeholder with the given prefix', () => {
    expect(setAndRemove({ status: 'issued', number: '2027-000001' }, ['gsi3pk'], 'a')).toEqual({
      UpdateExpression: 'SET #a0 = :a0, #a1 = :a1 REMOVE #a2',
      ExpressionAttributeNames: { '#a0': 'status', '#a1': 'number', '#a2': 'gsi3pk' },
      ExpressionAttributeValues: { ':a0': 'issued', ':a1': '2027-000001' },
    });
    expect(setAndRemove({}, ['siren']).UpdateExpression).toBe('REMOVE #u0');
  });

  it('refuses an update with nothing in it, or an attribute both set and removed', () => {
    expect(() => setAndRemove({})).toThrow(/nothing/);
    expect(() => setAndRemove({ siren: '1' }, ['siren'])).toThrow(/both/);
  });

  it('writes reserved words and removes on DynamoDB Local, alongside a condition of its own', async () => {
    const { doc, tableName } = await freshAppTable();
    const key = { pk: 'T#1', sk: 'T' };
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...key, status: 'draft', name: 'a', siren: '123', version: 1 } }));
    const update = setAndRemove({ status: 'issued', name: 'b', number: 7 }, ['siren']);
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#version': 'version' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':version': 1 },
      }),
    );
    expect((await doc.send(new GetCommand({ TableName: tableName, Key: key }))).Item).toEqual({ ...key, status: 'issued', name: 'b', number: 7, version: 1 });
  });
});
