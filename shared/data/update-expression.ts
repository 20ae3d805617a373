/**
 * An UpdateExpression that sets attributes to values and removes others, every attribute named and valued through a
 * placeholder (`#<prefix><i>`, `:<prefix><i>`): a reserved word (`status`, `name`, `number`) needs no care. Merge its
 * names and values with those of a condition, whose placeholders must not start with the same prefix.
 * @example const update = setAndRemove({ status: 'issued', number }, ['gsi3pk']);
 *          new UpdateCommand({ ..., ...update, ConditionExpression: '#st = :draft', ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#st': 'status' }, ... })
 */
export function setAndRemove(
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[] = [],
  prefix = 'u',
): { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  let n = 0;
  for (const [name, value] of Object.entries(set)) {
    names[`#${prefix}${n}`] = name;
    values[`:${prefix}${n}`] = value;
    sets.push(`#${prefix}${n} = :${prefix}${n}`);
    n++;
  }
  for (const name of remove) {
    if (name in set) throw new Error(`setAndRemove: ${name} both set and removed`);
    names[`#${prefix}${n}`] = name;
    removes.push(`#${prefix}${n}`);
    n++;
  }
  if (n === 0) throw new Error('setAndRemove: nothing to set or remove');
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  return { UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}
