#!/usr/bin/env python3
"""A protoc plugin that writes gRPC Python stubs with grpcio-tools.

grpcio-tools ships the grpc_python generator only inside its bundled protoc,
not as a plugin binary, so buf cannot call it directly. This plugin receives
buf's CodeGeneratorRequest, hands the descriptors to that bundled protoc via
--descriptor_set_in, and returns what it wrote. Run it with the project's
venv Python (see scripts/python-venv.sh), which pins grpcio-tools.
"""
import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as work:
        descriptors = os.path.join(work, "descriptors.binpb")
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(work, "out")
        os.mkdir(out)
        options = f"{request.parameter}:" if request.parameter else ""
        status = protoc.main(
            ["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={options}{out}", *request.file_to_generate]
        )
        if status != 0:
            response.error = f"grpc_tools.protoc exited with {status}"
        for root, _, files in os.walk(out):
            for name in sorted(files):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    response.file.add(name=os.path.relpath(path, out), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
