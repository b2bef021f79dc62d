"""The PetStore's GET /pets/{petId}: a python3.12 Lambda function behind AWS_PROXY."""
import json
import os

PETS = {1: {"id": 1, "type": "dog", "price": 249.99},
        2: {"id": 2, "type": "cat", "price": 124.99},
        3: {"id": 3, "type": "fish", "price": 0.99}}


def lambda_handler(event, context):
    headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
    raw = (event.get("pathParameters") or {}).get("petId", "")
    pet = PETS.get(int(raw)) if raw.isdigit() else None
    if pet is None:
        return {"statusCode": 404, "headers": headers,
                "body": json.dumps({"message": f"no pet {raw}"})}
    return {"statusCode": 200, "headers": headers,
            "body": json.dumps({**pet, "store": os.environ.get("STORE_NAME", "")})}
