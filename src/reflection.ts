/**
 * gRPC server reflection (v1 and v1alpha), so grpcurl and similar tools can
 * list, describe and call the API without proto files.
 *
 * @grpc/reflection is usually fed a package definition from
 * @grpc/proto-loader, which rebuilds descriptors through protobuf.js and
 * loses the source comments and original file names. Instead it gets the
 * exact FileDescriptorProtos that `buf build` wrote to gen/memoryd.binpb, so
 * `grpcurl describe` shows the proto documentation.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { ReflectionService } from "@grpc/reflection";

/** The directory holding package.json, whether running from src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const DESCRIPTOR_SET_PATH = join(packageRoot(), "gen", "memoryd.binpb");

/** Splits a serialized FileDescriptorSet into its files' bytes, untouched. */
function fileDescriptorProtos(descriptorSet: Uint8Array): Uint8Array[] {
  const files: Uint8Array[] = [];
  const reader = new BinaryReader(descriptorSet);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType);
  }
  return files;
}

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

export function createReflectionService(descriptorSetPath = DESCRIPTOR_SET_PATH): ReflectionService {
  const files = fileDescriptorProtos(readFileSync(descriptorSetPath));
  // The reflection service reads only `fileDescriptorProtos` from each entry.
  const definition = { "memoryd.descriptors": { fileDescriptorProtos: files } } as unknown as PackageDefinition;
  return new ReflectionService(definition);
}
