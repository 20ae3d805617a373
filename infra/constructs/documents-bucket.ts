import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';

/** Where uploads land before staff review: objects left there (never completed, refused) go after a day. */
export const INCOMING_PREFIX = 'incoming/';

export interface DocumentsBucketProps {
  config: StageConfig;
  /** The project's key: every object is encrypted with it (SSE-KMS, with a bucket key). */
  key: kms.IKey;
  /** Origins serving the pages: the browser PUTs uploads (and GETs downloads) from there with presigned URLs. */
  allowedOrigins: string[];
}

/**
 * The young people's documents and the contracts (issue 9): private (all public access blocked, TLS only, objects
 * owned by the bucket), encrypted with the project's key, reached by the browser only through presigned URLs that
 * the functions sign. Uploads under `incoming/` that nobody moved on are deleted after a day.
 */
export class DocumentsBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: DocumentsBucketProps) {
    super(scope, id);
    this.key = props.key;
    this.bucket = new s3.Bucket(this, 'Default', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      cors: [
        {
          allowedOrigins: props.allowedOrigins,
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
          // The presigned PUT carries signed headers (type, If-None-Match, encryption): the URL's signature limits them.
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'incoming-uploads', prefix: INCOMING_PREFIX, expiration: Duration.days(1) },
        { id: 'incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // A bucket that still holds objects is not deleted by CloudFormation: outside prod, empty it before deleting the stack.
      removalPolicy: props.config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'No server access logs: a second bucket and its storage for logs of presigned requests that the functions issue and record themselves (who, which document, without the key); CloudTrail S3 data events can be turned on for an audit.',
    });
  }
}
