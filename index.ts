/**
 * The package entry (`require("trust-services")`, and what `pulumi package add`
 * serves to other languages): the components. Importing it creates nothing.
 * The Pulumi program that `pulumi up` runs is main.ts.
 */
export * from "./components";
