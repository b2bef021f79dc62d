// The PetStore's POST /pets: a nodejs20.x Lambda function behind AWS_PROXY. The API
// validates the body against the NewPet model and requires an API key before it gets here.
export const handler = async (event) => {
  const pet = JSON.parse(event.body);
  return {
    statusCode: 201,
    headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
    body: JSON.stringify({ id: 4, type: pet.type, price: pet.price, store: process.env.STORE_NAME }),
  };
};
