import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

function withoutTrailingSlash(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '');
}

/** Public settings the pages need to start the Cognito login; nothing secret. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  },
  body: JSON.stringify({
    authBaseUrl: withoutTrailingSlash(process.env.AUTH_BASE_URL),
    clientId: process.env.USER_POOL_CLIENT_ID,
    appBaseUrl: withoutTrailingSlash(process.env.APP_BASE_URL),
  }),
}));
