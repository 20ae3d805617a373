/**
 * What the functions' bundles get for `@aws-sdk/lib-dynamodb` (an esbuild alias, infra/bundles.ts): the
 * package's own ES modules, with the same exports, except that the two paginators are declared pure.
 * The package's paginator modules call `createPaginator` at module level, so esbuild keeps them, and with
 * them QueryCommand and ScanCommand, in every bundle that imports the package; the stack grants each
 * function the DynamoDB operations whose command modules its bundle holds (decision 17), so a Scan that no
 * code makes would be granted everywhere. Here an unused paginator is dropped with its command.
 *
 * The paths are relative: the alias applies to the package's subpaths too, so they cannot be named by package.
 * test/infra/bundles.test.ts checks that this module exports every name the package exports.
 */
import { createPaginator } from '@smithy/core';
import { QueryCommand, ScanCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/index.js';
import { DynamoDBDocumentClient } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/DynamoDBDocumentClient.js';

export * from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/index.js';
export * from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/DynamoDBDocumentClient.js';
export * from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/DynamoDBDocument.js';
export * from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/pagination/PaginatedBatchGet.js';
export { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';

export const paginateQuery = /* @__PURE__ */ createPaginator(DynamoDBDocumentClient, QueryCommand, 'ExclusiveStartKey', 'LastEvaluatedKey', 'Limit');
export const paginateScan = /* @__PURE__ */ createPaginator(DynamoDBDocumentClient, ScanCommand, 'ExclusiveStartKey', 'LastEvaluatedKey', 'Limit');
