/**
 * Loads, once and before any spec's module graph, the ES-module-only packages that CommonJS
 * dependencies `require()` (@nestjs/throttler, @rekog/mcp-nest → Nest; jwks-rsa 4 → jose). Jest 30 on
 * Node ≥ 24.9 then hands every `require()` that same instance: one Nest, one jose in the process.
 * Without it Jest evaluates a graph's CommonJS modules first and fails with "Cannot require() ES
 * Module … in a cycle".
 */
import '@nestjs/common';
import '@nestjs/core';
import '@nestjs/microservices';
import 'jose';
