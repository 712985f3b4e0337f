/*
 * The cfn-response module CloudFormation adds beside a Node.js function's inline code (AWS CloudFormation User
 * Guide, "cfn-response module"): send(event, context, responseStatus, responseData, physicalResourceId, noEcho)
 * PUTs the custom resource's response object to event.ResponseURL, then ends the invocation (context.done()).
 */
'use strict';

const https = require('node:https');
const http = require('node:http');

exports.SUCCESS = 'SUCCESS';
exports.FAILED = 'FAILED';

exports.send = function send(event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  const body = JSON.stringify({
    Status: responseStatus,
    Reason: 'See the details in CloudWatch Log Stream: ' + context.logStreamName,
    PhysicalResourceId: physicalResourceId || context.logStreamName,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho || false,
    Data: responseData,
  });
  console.log('Response body:\n', body);
  const url = new URL(event.ResponseURL);
  const transport = url.protocol === 'http:' ? http : https;
  const done = () => { if (typeof context.done === 'function') context.done(); };
  const request = transport.request(url, {
    method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
  }, (response) => {
    console.log('Status code: ' + response.statusCode);
    response.resume();
    done();
  });
  request.on('error', (error) => {
    console.log('send(..) failed executing https.request(..): ' + error.message);
    done();
  });
  request.write(body);
  request.end();
};
