"""Deploy word-stats: publish the textkit library as a layer, then create the function with the layer attached.

Each function takes a boto3 Lambda client, so the same code deploys to the mocked AWS of the lab notebook and, with
real credentials, to AWS.
"""

import io
import zipfile
from pathlib import Path

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
LAYER_NAME = "textkit"
FUNCTION_NAME = "word-stats"


def build_layer_zip() -> bytes:
    """The layer's zip file, built from the textkit/ folder next to this file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((HERE / "textkit").rglob("*.py")):
            # TODO 1: Lambda unzips a layer into /opt, and Python only looks for libraries in certain folders
            #         there. Choose the name each file gets inside the zip so that `import textkit` works.
            name_in_zip = path.relative_to(HERE).as_posix()  # "textkit/__init__.py"
            archive.write(path, name_in_zip)
    return buffer.getvalue()


def publish_layer(lambda_client) -> str:
    """Publish build_layer_zip() as a new version of the layer LAYER_NAME, for python3.12; return its ARN."""
    # TODO 2: publish the layer version and return its LayerVersionArn.
    return None


def deploy_function(lambda_client, role_arn: str, layer_arn: str) -> None:
    """Create the function FUNCTION_NAME from the function/ folder, with the layer version layer_arn attached."""
    lambda_client.create_function(
        FunctionName=FUNCTION_NAME,
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package(HERE / "function")},
        Timeout=10,
        # TODO 3: attach the layer version layer_arn.
    )
