import type { TransactItem } from './approvals.js';

/**
 * Seats counted on one item (an information session, a CJS cohort): a counter that a transaction raises only
 * while below the item's capacity, and lowers only while above zero. The transaction that takes a seat also writes
 * what the seat is for (an attendee, a cohort member), so the counter and the list never disagree and the capacity
 * holds whatever the number of people placed at once.
 */
export interface SeatHolder {
  key: { pk: string; sk: string };
  /** The attribute holding the capacity (default `capacity`). */
  capacityAttribute?: string;
  /** The attribute counting the seats taken (default `seatsTaken`). */
  counterAttribute?: string;
  /** Further conditions on the item when a seat is taken (placeholders other than `#seat*` and `:seat*`). */
  conditions?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
}

const names = (holder: SeatHolder) => ({ '#seatCapacity': holder.capacityAttribute ?? 'capacity', '#seatsTaken': holder.counterAttribute ?? 'seatsTaken' });

/** One seat more on the holder, refused (the transaction cancelled) when it is full or a further condition fails. */
export function takeSeat(table: string, holder: SeatHolder): TransactItem {
  const extra = holder.conditions;
  return {
    Update: {
      TableName: table,
      Key: holder.key,
      UpdateExpression: 'SET #seatsTaken = #seatsTaken + :seatOne',
      ConditionExpression: `#seatsTaken < #seatCapacity${extra ? ` AND ${extra.expression}` : ''}`,
      ExpressionAttributeNames: { ...names(holder), ...extra?.names },
      ExpressionAttributeValues: { ':seatOne': 1, ...extra?.values },
    },
  };
}

/** One seat less on the holder, never below zero. */
export function freeSeat(table: string, holder: Pick<SeatHolder, 'key' | 'counterAttribute'>): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: holder.key,
      UpdateExpression: 'SET #seatsTaken = #seatsTaken - :seatOne',
      ConditionExpression: '#seatsTaken > :seatZero',
      ExpressionAttributeNames: { '#seatsTaken': holder.counterAttribute ?? 'seatsTaken' },
      ExpressionAttributeValues: { ':seatOne': 1, ':seatZero': 0 },
    },
  };
}

/** A new capacity for the holder, refused when it is below the seats already taken. */
export function changeCapacity(table: string, holder: Pick<SeatHolder, 'key' | 'capacityAttribute' | 'counterAttribute'>, capacity: number): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: holder.key,
      UpdateExpression: 'SET #seatCapacity = :seatCapacity',
      ConditionExpression: 'attribute_exists(pk) AND #seatsTaken <= :seatCapacity',
      ExpressionAttributeNames: names(holder),
      ExpressionAttributeValues: { ':seatCapacity': capacity },
    },
  };
}
