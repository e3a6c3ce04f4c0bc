// Queries the gateway with Apollo Client as a frontend would, default settings (errorPolicy
// 'none': any GraphQL error makes the query throw) and prints the data as JSON.
const { ApolloClient, InMemoryCache, HttpLink, gql } = require('@apollo/client/core');
const fs = require('fs');

const [url, file] = process.argv.slice(2);
const client = new ApolloClient({
  link: new HttpLink({ uri: url, fetch }),
  cache: new InMemoryCache(),
});
client
  .query({ query: gql(fs.readFileSync(file, 'utf8')) })
  .then((result) => {
    console.log(JSON.stringify(result.data));
  })
  .catch((e) => {
    console.error('Apollo Client threw:', e.message);
    process.exit(1);
  });
