// Jest for the Salesforce package. sfdx-lwc-jest reads sfdx-project.json from the current
// directory, so run it from lwc/:  cd lwc && ../node_modules/.bin/sfdx-lwc-jest
const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
    ...jestConfig,
    moduleNameMapper: {
        '^lightning/platformShowToastEvent$':
            '<rootDir>/force-app/test/jest-mocks/lightning/platformShowToastEvent'
    },
    setupFilesAfterEnv: [...(jestConfig.setupFilesAfterEnv || []), '<rootDir>/jest-sa11y-setup.js'],
    testTimeout: 10000
};
