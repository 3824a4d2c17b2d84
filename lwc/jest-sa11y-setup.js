// Adds expect(element).toBeAccessible() (axe-core rules, runs offline).
import { registerSa11yMatcher } from '@sa11y/jest';

registerSa11yMatcher();
